"""``python -m kolors`` and the entry script of the desktop bundle (``kolors.spec``).

In the bundle, numba's ``cache=True`` kernels cache into the user cache folder
(``~/.cache/numba``, numba's own locator for frozen apps), never into the bundle."""
import sys

if getattr(sys, "frozen", False) and sys.argv[1:2] == ["export"] and "onnx" in " ".join(sys.argv[2:]):
    # kolors.spec leaves out onnx/onnxscript/onnxruntime and torch.onnx
    print("kolors: error: this desktop bundle cannot export ONNX (--format torchscript can); "
          "install the wheel (pip install kolors) for `kolors export --format onnx`", file=sys.stderr)
    raise SystemExit(2)

from kolors.cli import main  # absolute: PyInstaller runs this file as a script, not as kolors.__main__

raise SystemExit(main())
