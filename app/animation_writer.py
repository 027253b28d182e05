"""Writing an animation for slides: RGB frames in, a GIF or an MP4 file out.

A GIF goes through Pillow with one palette for every frame (taken from the first frame and the
runs' colours, no dithering): the frames then differ only where the picture changed, which
Pillow's GIF writer stores as small patches, so 200 frames of a growing trajectory stay a few
megabytes. An MP4 (H.264, yuv420p: what slide software plays) goes through the ffmpeg binary
that the imageio-ffmpeg wheel carries; nothing is downloaded. Both are written to a temporary
file next to the target and moved into place when complete, so a cancelled export leaves
nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from optim_core.errors import ConfigError

SUFFIXES = (".gif", ".mp4")
MAX_WIDTH = 1280  #: widest frame a slide needs
MP4_BLOCK = 16  #: H.264 wants frame sides that are multiples of this
UNCHANGED = 255  #: the GIF palette index of "as in the previous frame" (transparent)


def check_animation_path(path: str | Path) -> Path:
    """``path`` as a Path when its suffix is .gif or .mp4 and its folder exists; else a
    ConfigError naming the file."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise ConfigError("animation", str(path), "a file ending in .gif or .mp4")
    if not path.parent.is_dir():
        raise ConfigError("animation", str(path),
                          f"a file in an existing folder ({path.parent} is none)")
    return path


class AnimationWriter:
    """Collects frames (H × W × 3 uint8, all one size) and writes them to ``path`` on close."""

    def __init__(self, path: str | Path, fps: float, colors: Sequence[str] = ()) -> None:
        self.path = check_animation_path(path)
        if not (0 < fps <= 60):
            raise ConfigError("fps", fps, "a number > 0 and ≤ 60")
        self.fps = float(fps)
        self.frames = 0
        self._gif = self.path.suffix.lower() == ".gif"
        self._colors = list(colors)
        self._palette: Image.Image | None = None
        self._images: list[Image.Image] = []
        self._previous: np.ndarray | None = None
        self._ffmpeg = None
        fd, temp = tempfile.mkstemp(suffix=self.path.suffix, prefix=".animation-",
                                    dir=self.path.parent)
        os.close(fd)
        self._temp = Path(temp)

    def add(self, frame: np.ndarray) -> None:
        """Append one frame (RGB, uint8)."""
        frame = np.ascontiguousarray(frame[..., :3], dtype=np.uint8)
        if self._gif:
            self._add_gif(frame)
        else:
            self._add_mp4(frame)
        self.frames += 1

    def close(self) -> Path:
        """Finish the file and move it into place; returns its path."""
        try:
            if self._gif:
                self._write_gif()
            elif self._ffmpeg is not None:
                self._ffmpeg.close()
                self._ffmpeg = None
            os.chmod(self._temp, 0o666 & ~_umask())  # mkstemp made it private
            os.replace(self._temp, self.path)
        except BaseException:
            self.abort()
            raise
        return self.path

    def abort(self) -> None:
        """Give up: nothing is written (the temporary file goes)."""
        if self._ffmpeg is not None:
            with contextlib.suppress(Exception):
                self._ffmpeg.close()
            self._ffmpeg = None
        self._images.clear()
        self._temp.unlink(missing_ok=True)

    # ------------------------------------------------------------------ GIF
    def _add_gif(self, frame: np.ndarray) -> None:
        if self._palette is None:
            self._palette = _palette_for(frame, self._colors)
        image = Image.fromarray(frame, "RGB").quantize(palette=self._palette,
                                                       dither=Image.Dither.NONE)
        indices = np.asarray(image)
        if self._previous is not None:
            # what did not change becomes transparent: the previous frame shows through, and
            # the long runs of one index cost next to nothing
            shown = np.where(indices == self._previous, UNCHANGED, indices).astype(np.uint8)
            image = Image.fromarray(shown, "P")
            image.putpalette(self._palette.getpalette())
        self._previous = indices
        self._images.append(image)

    def _write_gif(self) -> None:
        if not self._images:
            raise ConfigError("animation", 0, "at least one frame")
        first, *rest = self._images
        first.save(self._temp, format="GIF", save_all=True, append_images=rest,
                   duration=round(1000 / self.fps), loop=0, optimize=False, disposal=1,
                   transparency=UNCHANGED)
        self._images.clear()

    # ------------------------------------------------------------------ MP4
    def _add_mp4(self, frame: np.ndarray) -> None:
        h, w = frame.shape[:2]
        if self._ffmpeg is None:
            import imageio_ffmpeg  # the encoder binary ships in the wheel

            self._size = (w, h)
            self._ffmpeg = imageio_ffmpeg.write_frames(
                str(self._temp), (w, h), fps=self.fps, codec="libx264", pix_fmt_out="yuv420p",
                quality=8, macro_block_size=MP4_BLOCK, ffmpeg_log_level="error")
            self._ffmpeg.send(None)
        elif (w, h) != self._size:
            raise ValueError(f"frame of {w}×{h} after frames of {self._size[0]}×{self._size[1]}")
        self._ffmpeg.send(frame.tobytes())


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _palette_for(frame: np.ndarray, colors: Sequence[str]) -> Image.Image:
    """255 colours for the first frame plus the runs' colours (drawn later), and UNCHANGED."""
    swatches = [_rgb(c) for c in colors] + [(0, 0, 0), (255, 255, 255)]
    strip = np.repeat(np.array(swatches, dtype=np.uint8)[None, :, :], 8, axis=0)
    strip = np.repeat(strip, max(1, frame.shape[1] // len(swatches)), axis=1)
    width = max(frame.shape[1], strip.shape[1])
    sample = np.zeros((frame.shape[0] + 8 * 8, width, 3), dtype=np.uint8)
    sample[:frame.shape[0], :frame.shape[1]] = frame
    for k in range(8):  # the run colours weigh like a band of the picture
        sample[frame.shape[0] + 8 * k:frame.shape[0] + 8 * (k + 1), :strip.shape[1]] = strip
    palette = Image.fromarray(sample, "RGB").quantize(UNCHANGED, method=Image.Quantize.MEDIANCUT,
                                                      dither=Image.Dither.NONE)
    colours = palette.getpalette()[:3 * UNCHANGED]
    palette.putpalette(colours + [0] * (3 * UNCHANGED - len(colours)) + [255, 0, 255])
    return palette


def _rgb(color: str) -> tuple[int, int, int]:
    text = color.lstrip("#")
    if len(text) >= 6:
        with contextlib.suppress(ValueError):
            return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    return 0, 0, 0
