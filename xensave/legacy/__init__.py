"""Legacy (Xen 4.5 and older) images: layout, reader with autodetection and a writer
for building test images. The ``LEG-`` rules are checked in ``xensave.check.legacy``
(with the other chapters' checks); conversion is in ``xensave.convert``."""
