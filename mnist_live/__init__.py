"""Read handwritten digits from a camera or photo with a small MNIST model on LiteRT.

The pipeline's stages, one module each, in the order a frame goes through them:

    capture     camera index, video, image, stream URL, `synth` or Pi camera -> frames
    binarize    gray frame -> white-ink-on-black binary image (Otsu, adaptive, manual)
    candidates  binary image -> boxes that may hold one digit each
    normalize   one candidate -> a 28x28 crop made the way MNIST was made
    classifier  28x28 crops -> digit probabilities, all crops in one LiteRT invoke
    numbers     digits side by side on a line -> whole numbers in reading order
    draw        boxes, digits, numbers and status text on the frame

`pipeline` chains them; `config` holds every default and path.
"""
