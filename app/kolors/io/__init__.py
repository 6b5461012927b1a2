"""Reading and writing files: images (8/16-bit, 32-bit float, ICC, EXIF, alpha), camera RAW,
``.cube`` LUTs, presets, sidecars, video, and the atomic write every writer goes through.

Modules return numpy arrays plus metadata and know nothing of Qt, the engine or the
model (``kolors.io`` may import only ``kolors.core`` and ``kolors.errors``). Bad input
raises :class:`kolors.errors.InputError` with one message naming the file.

* :mod:`kolors.io.atomic` — ``atomic_write`` / ``atomic_file`` / ``atomic_path``: temp
  file in the destination folder, fsync, ``os.replace``; never over a protected input.
* :mod:`kolors.io.formats` — suffix tables, size limits and the magic-byte sniffing of
  image and RAW formats (a file is opened by what it holds, not by its name).
* :mod:`kolors.io.images` — ``read_image`` → :class:`~kolors.io.images.Photo`,
  ``write_image``, ``image_info`` (probe, decode, icc, exif, encode inside).
* :mod:`kolors.io.raw` — ``read_raw`` → :class:`~kolors.io.raw.RawPhoto` through rawpy/LibRaw,
  ``is_raw``, ``raw_info``, ``extract_thumb`` (options, metadata, wb, develop, libraw, check,
  tiff, thumbs, cache inside).
* :mod:`kolors.io.luts` — ``read_cube`` / ``write_cube`` (1D, 3D, 1D shaper + 3D).
* :mod:`kolors.io.presets`, :mod:`kolors.io.sidecar` — versioned JSON of settings and edits.
* :mod:`kolors.io.video` — video files and streams through PyAV/FFmpeg.
"""
