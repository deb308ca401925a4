"""Make a 28x28 crop of one candidate exactly the way MNIST was made.

MNIST's digits were black-and-white scans, scaled so the longer side of the ink fits a
20x20 box (keeping the aspect ratio, anti-aliased), then placed in 28x28 so that the
centre of mass of the ink is at the centre. We do the same to each candidate's binary
mask. Before scaling, a stroke that would come out thinner or thicker than MNIST's
(MIN_STROKE to MAX_STROKE px in the 20-px box) is thickened to a typical MNIST stroke or
thinned to MAX_STROKE: a thin ballpoint line on a big digit would otherwise shrink to a
faint hairline the model has never seen.
"""

from __future__ import annotations

import cv2
import numpy as np

from .config import MNIST_INK_BOX, MNIST_SIZE

# A typical MNIST stroke is ~2.5 px wide in the 20-px ink box (median measured over the
# training set with stroke_width() below); 10th-90th percentile ~2.0-3.5 px.
MNIST_STROKE = 2.5
MIN_STROKE = 1.8
MAX_STROKE = 4.0


def stroke_width(mask: np.ndarray) -> float:
    """Estimate the stroke width of a binary mask in pixels.

    Inside a stroke of width w the distance to the background climbs from 1 to w/2, so
    its mean over the ink is about (1 + w/2)/2, i.e. w = 4 * mean - 2.
    """
    # A border of background, so ink touching the mask's edge has a finite distance.
    padded = cv2.copyMakeBorder((mask > 0).astype(np.uint8), 1, 1, 1, 1,
                                cv2.BORDER_CONSTANT, value=0)
    ink = cv2.countNonZero(padded)
    if ink == 0:
        return 0.0
    # Every ink pixel is at least 1 from the background: the sum over the whole image
    # divided by the ink's pixel count is the mean over the ink.
    dist = cv2.distanceTransform(padded, cv2.DIST_L2, 3)
    return max(1.0, 4.0 * float(dist.sum()) / ink - 2.0)


def normalize_stroke(mask: np.ndarray, box_scale: float,
                     width: float | None = None) -> np.ndarray:
    """Thicken or thin `mask` so its strokes come out MNIST-wide after scaling.

    `box_scale` is the factor the mask will be scaled by (20 / longer side); `width`
    its stroke width if already known (stroke_width(mask) otherwise).
    """
    if width is None:
        width = stroke_width(mask)
    scaled = width * box_scale
    if MIN_STROKE <= scaled <= MAX_STROKE or width == 0:
        return mask
    target = MNIST_STROKE if scaled < MIN_STROKE else MAX_STROKE
    # Thinning must not erase parts of the digit; keep the original if it would.
    return restroke(mask, round((target / box_scale - width) / 2), keep=0.35)


def restroke(mask: np.ndarray, radius: int, keep: float) -> np.ndarray:
    """`mask` with its strokes thickened (`radius` > 0) or thinned (< 0) by `radius`
    pixels a side; a thinning that would leave no more than `keep` of the ink gives
    the mask back as it is."""
    if radius == 0:
        return mask
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(radius) + 1,) * 2)
    if radius > 0:
        return cv2.dilate(mask, kernel)
    thinned = cv2.erode(mask, kernel)
    return thinned if cv2.countNonZero(thinned) > keep * cv2.countNonZero(mask) else mask


def mnist_crop(mask: np.ndarray, stroke: float | None = None) -> np.ndarray:
    """One candidate's ink mask (uint8, ink = 255) -> a 28x28 MNIST-style crop.

    `stroke`: the mask's stroke width if the caller already measured it (cropping and
    padding with background do not change it).
    """
    x, y, width, height = cv2.boundingRect(mask)
    if width == 0 or height == 0:
        return np.zeros((MNIST_SIZE, MNIST_SIZE), np.uint8)
    mask = mask[y : y + height, x : x + width]
    box_scale = MNIST_INK_BOX / max(height, width)

    # Pad so that thickening does not clip strokes at the mask's edge.
    pad = int(np.ceil(MAX_STROKE / box_scale))
    mask = cv2.copyMakeBorder(mask, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    mask = normalize_stroke(mask, box_scale, stroke)
    x, y, width, height = cv2.boundingRect(mask)
    mask = mask[y : y + height, x : x + width]
    box_scale = MNIST_INK_BOX / max(height, width)

    new_w = max(1, round(width * box_scale))
    new_h = max(1, round(height * box_scale))
    interpolation = cv2.INTER_AREA if box_scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(mask, (new_w, new_h), interpolation=interpolation)

    # Centre of mass to the centre of the 28x28 canvas, as MNIST did.
    moments = cv2.moments(small)
    if moments["m00"] > 0:
        cx, cy = moments["m10"] / moments["m00"], moments["m01"] / moments["m00"]
    else:
        cx, cy = new_w / 2, new_h / 2
    centre = MNIST_SIZE / 2  # measured on MNIST: mean centre of mass (14.0, 14.0)
    shift = np.float32([[1, 0, centre - cx], [0, 1, centre - cy]])
    return cv2.warpAffine(
        small, shift, (MNIST_SIZE, MNIST_SIZE), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT, borderValue=0,
    )
