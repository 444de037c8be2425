"""Legacy (Xen 4.5 and older) images: layout, reader with autodetection, checker
(``LEG-`` rules) and a writer for building test images. Conversion is in
``xensave.convert``."""
