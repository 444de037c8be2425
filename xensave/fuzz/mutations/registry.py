"""The registry: every mutation fuzzing draws from, in one list.

Fuzzing picks a mutation by its index among those that apply to an image, and
hypothesis runs are derandomized: the order of :data:`MUTATIONS` decides which cases
a seed yields, so a new mutation goes at the end and none moves.
``tests/test_fuzz_layout.py`` holds that every mutation a layer module defines is
listed here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..build import Generated
from . import Mutation, hvm, libxc, libxc_pages, libxl, pv, wrappers, xl_file
from .helpers import reading

__all__ = ["BY_NAME", "MUTATIONS", "applicable"]

MUTATIONS: list[Mutation] = [
    libxc.image_header_marker,
    libxc.image_header_id,
    libxc.image_header_version,
    libxc.image_header_options_reserved_bit,
    libxc.image_header_reserved_field,
    libxc.domain_header_page_shift,
    libxc.domain_header_reserved_field,
    libxc.record_padding_nonzero,
    libxc.record_of_reserved_mandatory_type,
    libxc.record_of_unknown_optional_type,
    libxc.end_with_body,
    libxc.end_dropped,
    libxc.octets_after_end,
    libxc.cut_at_record_boundary,
    libxc.cut_in_record_header,
    libxc.cut_in_record_body,
    libxc_pages.page_data_count_zero,
    libxc_pages.page_data_reserved_word,
    libxc_pages.page_data_pfn_reserved_bits,
    libxc_pages.page_data_reserved_page_type,
    libxc_pages.page_data_count_off_by_one,
    libxc_pages.page_data_contents_length,
    libxc_pages.page_data_body_short,
    pv.pv_info_length,
    pv.pv_info_width_levels_pairing,
    pv.pv_info_pt_levels,
    pv.pv_info_reserved_octets,
    pv.pv_info_twice,
    pv.pv_info_after_p2m_frames,
    pv.p2m_frames_body_short,
    pv.p2m_frames_start_above_end,
    pv.p2m_frames_count_off_by_one,
    pv.p2m_frames_after_page_data,
    pv.vcpu_reserved_word,
    pv.vcpu_record_short,
    pv.vcpu_basic_context_size,
    pv.vcpu_extended_context_size,
    pv.vcpu_xsave_context_size,
    pv.vcpu_msrs_context_size,
    pv.vcpu_empty_context,
    pv.vcpu0_basic_dropped,
    pv.gdt_ents_over_limit,
    pv.gdt_frame_is_page_table,
    pv.gdt_unused_frame_set,
    pv.cr3_above_p2m_end,
    pv.cr1_names_gdt_page,
    pv.user_mode_without_cr1,
    pv.start_info_is_page_table,
    pv.ldt_ents_over_limit,
    pv.ldt_base_unaligned,
    pv.rip_non_canonical,
    pv.dr7_over_32_bits,
    pv.flags_undefined_bit,
    pv.eflags_vm_set,
    pv.vcpu_before_page_data,
    pv.page_data_after_vcpu,
    pv.shared_info_size,
    pv.shared_info_before_pv_info,
    libxc.tsc_info_length,
    libxc.tsc_info_reserved_word,
    libxc.tsc_info_mode_above_3,
    hvm.hvm_context_empty,
    hvm.hvm_context_dropped,
    hvm.blob_payload_past_end,
    hvm.blob_without_end,
    hvm.blob_end_nonzero,
    hvm.blob_octets_after_end,
    hvm.blob_header_dropped,
    hvm.blob_header_length,
    hvm.blob_header_magic,
    hvm.blob_header_version,
    hvm.blob_header_twice,
    hvm.entry_unknown_typecode,
    hvm.entry_fixed_size_other_length,
    hvm.entry_longer_than_structure,
    hvm.cpu_pad0_nonzero,
    hvm.pic_instance_over_1,
    hvm.pci_link_route_or_pad,
    hvm.pit_speaker_or_pad,
    hvm.cpu_xsave_short,
    hvm.cpu_xsave_compacted_or_reserved,
    hvm.cpu_xsave_xcr0,
    hvm.cpu_msr_length,
    hvm.cpu_msr_reserved_word,
    hvm.hvm_params_count_off_by_one,
    hvm.hvm_params_body_short,
    hvm.hvm_params_reserved_word,
    hvm.hvm_params_empty,
    libxc.pv_record_in_hvm_stream,
    libxc.hvm_record_in_pv_stream,
    libxc.static_data_end_twice,
    libxc.static_data_end_with_body,
    libxc.static_data_end_after_page_data,
    libxc.static_data_end_in_v2,
    libxc.policy_after_static_data_end,
    libxc.policy_twice,
    libxc.msr_policy_in_v2,
    libxc.cpuid_policy_length,
    libxc.msr_policy_length,
    libxc.msr_policy_flags_nonzero,
    libxc.toolstack_record,
    libxc.verify_with_body,
    libxc.verify_twice,
    libxc.dirty_pfn_list_in_stream,
    libxl.header_ident,
    xl_file.libxl_ident,
    wrappers.libvirt_libxl_ident,
    libxl.header_version,
    libxl.header_options_reserved_bit,
    libxl.record_padding_nonzero,
    libxl.record_of_reserved_mandatory_type,
    libxl.record_of_unknown_optional_type,
    libxl.end_with_body,
    libxl.end_dropped,
    libxl.octets_after_end,
    libxl.libxc_context_with_body,
    libxl.emulator_record_short,
    libxl.emulator_id_above_2,
    libxl.emulator_id_unknown,
    libxl.emulator_context_in_pv,
    libxl.emulator_context_dropped,
    libxl.xenstore_last_value_without_nul,
    libxl.xenstore_key_without_value,
    libxl.xenstore_empty_key,
    libxl.xenstore_absolute_key,
    libxl.xenstore_key_bad_character,
    libxl.xenstore_value_not_printable,
    libxl.xenstore_no_pairs,
    libxl.libxc_byte_order_mismatch,
    libxl.legacy_bit_over_modern_stream,
    libxl.checkpoint_end_stray,
    xl_file.magic,
    xl_file.byteorder_word,
    xl_file.mandatory_flags_undefined_bit,
    xl_file.optional_flags_nonzero,
    xl_file.optional_data_without_config_len,
    xl_file.config_len_over_optional_data,
    xl_file.json_config_without_nul,
    xl_file.json_config_not_object,
    xl_file.json_config_empty,
    xl_file.byte_order_mismatch,
    wrappers.libvirt_version,
    wrappers.libvirt_unused_word,
    wrappers.libvirt_xml_without_nul,
    wrappers.libvirt_xml_not_domain,
    wrappers.libvirt_octets_after_end,
    wrappers.xapi_stream_section_length,
    wrappers.xapi_end_of_image_missing,
    wrappers.xapi_octets_after_end,
    wrappers.xapi_qemu_xen_section,
    libxl.cut_in_record_header,
    libxl.cut_in_record_body,
    libxl.optional_record_before_libxc_context,
    libxl.libxc_image_header_missing,
    libxl.checkpoint_state_stray,
    wrappers.libvirt_magic,
    wrappers.libvirt_byte_order_mismatch,
    wrappers.libvirt_cut_in_header,
    wrappers.libvirt_xml_beyond_file,
    wrappers.xapi_signature,
    wrappers.xapi_cut_in_section_header,
    wrappers.xapi_cut_in_section_body,
    wrappers.xapi_libxc_image_header_missing,
    wrappers.xapi_libxc_section_missing,
    xl_file.cut_in_optional_data,
    libxc.domain_header_type,
    pv.pv_info_guest_width,
    pv.p2m_frames_dropped,
    libxc.dirty_pfn_list_length,
    wrappers.libvirt_xml_empty,
    wrappers.xapi_section_unknown,
    hvm.hvm_params_index_over,
    hvm.hvm_params_deprecated,
    hvm.hvm_params_value,
    hvm.hvm_params_viridian,
    hvm.hvm_params_changed,
    hvm.hvm_params_pae_enabled,
    hvm.hvm_params_nestedhvm,
    hvm.hvm_params_dm_domain,
    hvm.hvm_params_altp2m,
    libxc.tsc_info_mode_pvrdtscp,
    libxc.cpuid_policy_leaf_outside,
    libxc.cpuid_policy_too_many,
    libxc.msr_policy_index,
    libxc.msr_policy_too_many,
    libxc.msr_policy_platform_info_wide,
    libxc.msr_policy_arch_caps_wide,
    pv.pv_extended_size,
    pv.pv_extended_entry_non_canonical,
    pv.pv_xsave_xcr0_over_accum,
    pv.pv_xsave_short,
    pv.pv_xsave_bad_xcr0,
    pv.pv_xsave_long,
    pv.pv_xsave_ymm_short,
    pv.pv_xsave_header_reserved,
    pv.pv_msrs_reserved,
    pv.pv_msrs_index,
    pv.pv_msrs_over_11,
    pv.pv_msrs_over_7,
    hvm.cpu_cr0,
    hvm.cpu_flags,
    hvm.cpu_tsc_aux,
    hvm.cpu_dr6_dr7,
    hvm.pic_unreachable,
    hvm.pci_link_pad,
    hvm.pit_unreachable,
    hvm.lapic_x2apic_disabled,
    hvm.mtrr_vcnt,
    hvm.viridian_vcpu_pad,
    hvm.vmce_caps,
    hvm.cpu_xsave_invalid_xcr0,
    hvm.cpu_xsave_amx_half,
    hvm.cpu_xsave_tail,
    hvm.cpu_xsave_ymm_short,
    hvm.cpu_msr_index,
    pv.address_non_canonical,
    pv.ldt_base_in_xen_range,
    pv.debugreg_in_xen_range,
    pv.vm_assist_unknown,
    pv.pv_info_short,
    pv.p2m_frame_bad,
    libxc_pages.page_above_max_pfn,
    libxc_pages.page_table_entry_above_max_pfn,
    pv.start_info_frame_bad,
]


def _by_name(mutations: Sequence[Mutation]) -> dict[str, Mutation]:
    out: dict[str, Mutation] = {}
    for m in mutations:
        if m.name in out:
            raise ValueError(f"two mutations named {m.name}")
        out[m.name] = m
    return out


BY_NAME: dict[str, Mutation] = _by_name(MUTATIONS)


#: The last pool :func:`applicable` saw and its plan: the pool's distinct predicates, in
#: order, and for each mutation the number of its predicate.
_plan: tuple[tuple[Mutation, ...], list[Callable[[Generated], bool]], list[int]] | None = None


def _plan_for(pool: Sequence[Mutation]) -> tuple[list[Callable[[Generated], bool]], list[int]]:
    global _plan
    if _plan is not None and _plan[0] == tuple(pool):
        return _plan[1], _plan[2]
    number: dict[Callable[[Generated], bool], int] = {}
    of = [number.setdefault(m.when, len(number)) for m in pool]
    preds = list(number)
    _plan = (tuple(pool), preds, of)
    return preds, of


def applicable(gen: Generated, pool: Sequence[Mutation] | None = None) -> list[Mutation]:
    """The mutations (of ``pool``, default all) that apply to ``gen``. Each distinct
    predicate is asked once (many mutations share one, ``is_hvm`` fifty of them),
    :func:`.helpers.reading` the image: this runs for every fuzz case. A run keeps its
    pool, so which predicates are distinct is worked out once for it."""
    pool = MUTATIONS if pool is None else pool
    preds, of = _plan_for(pool)
    with reading(gen):
        ok = [bool(p(gen)) for p in preds]
    return [m for m, k in zip(pool, of, strict=True) if ok[k]]
