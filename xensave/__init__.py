"""xensave: spec, reference tools and conformance suite for the Xen domain save image."""

__version__ = "0.1.0"
