"""Recipes that build the conformance corpus (``conformance/``) through the writer.

Run ``python -m generators.corpus`` from the repository root to regenerate it, and
``python -m generators.corpus --check`` to verify that what is committed is exactly
what the recipes make. :mod:`.framework` says how a recipe declares what its image
breaks and how the verdict follows; :mod:`.policy` holds the fixed decisions (reserved
fields, profiles, tags); the other modules are the recipes, one per area.
"""
