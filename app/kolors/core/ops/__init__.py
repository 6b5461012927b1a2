"""One file per operation. Each module registers one :class:`kolors.core.registry.Op`.

:data:`PIPELINE` is the one place that says in which order the operations run on an
image (linear light, after decoding and before the output encode). An operation module
whose name is not listed here is refused at registration, and a listed name without a
module is refused when the registry loads, so the table and the files cannot drift apart.
To add an operation: write ``ops/<name>.py`` with ``@register_op(group=...)`` and insert
``"<name>"`` where it belongs below. Pointwise neighbours are baked into one 3D LUT; a
spatial operation between them splits the bake (see :mod:`kolors.core.pipeline`).
"""

#: the pipeline order, first to last
PIPELINE: tuple[str, ...] = (
    "geometry",            # framing: rotate, flip, straighten, crop (the engine resamples first)
    "lens_correction",     # lens: vignetting (distortion and CA: the framing step) (spatial)
    "gains",               # task: per-channel white-balance gains (classical auto WB)
    "channel_levels",      # task: per-channel black/white/gamma (classical auto levels)
    "color_transfer",      # task: Reinhard colour transfer (style transfer)
    "exposure",            # light: 2^EV
    "white_balance",       # colour: temperature/tint by chromatic adaptation
    "luma_denoise",        # detail: luminance noise reduction (spatial)
    "chroma_denoise",      # detail: chroma noise reduction (spatial)
    "dehaze",              # detail: dark-channel dehaze with a photo-level airlight (spatial)
    "local_tone",          # task: bilateral-grid local tone mapping (HDR, spatial)
    "highlights_shadows",  # tone
    "whites_blacks",       # tone
    "contrast",            # tone
    "tone_curve",          # tone: point curve on the sRGB-encoded value
    "local_contrast",      # detail: clarity (spatial)
    "detail_recovery",     # detail: texture (spatial)
    "sharpen",             # detail: capture sharpening (spatial)
    "vibrance",            # colour
    "chroma_boost",        # colour: OkLCh chroma
    "learned_residual",    # task: the learned model's LUT and local grid (spatial)
    "hsl",                 # colour: per-hue-band hue/saturation/lightness
    "split_toning",        # look
    "film_look",           # look
    "masks",               # local adjustments: each mask one masked pass (spatial)
    "region_boost",        # industrial: chroma inside regions of interest (spatial)
    "lut_file",            # look: a .cube LUT from a file
    "vignette",            # effects: radial gain (spatial)
    "output_sharpen",      # export: sharpening for the size written (hidden; spatial)
)
