"""Reading and writing files: images (8/16-bit, 32-bit float, ICC, EXIF), ``.cube`` LUTs,
and the atomic write every writer goes through.

Modules return numpy arrays plus metadata and know nothing of Qt, the engine or the
model (``kolors.io`` may import only ``kolors.core`` and ``kolors.errors``). Bad input
raises :class:`kolors.errors.InputError` with one message naming the file.

* :mod:`kolors.io.atomic` — ``atomic_write`` / ``atomic_file`` / ``atomic_path``: temp
  file in the destination folder, fsync, ``os.replace``; never over a protected input.
* :mod:`kolors.io.images` — ``read_image`` → :class:`~kolors.io.images.Photo`,
  ``write_image``, ``image_info``.
* :mod:`kolors.io.luts` — ``read_cube`` / ``write_cube`` (1D, 3D, 1D shaper + 3D).
"""
