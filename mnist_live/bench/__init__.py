"""Benchmarks: how well and how fast mnist_live reads digits, against the reference.

    python -m mnist_live.bench read      recall / precision / F1 per image set
    python -m mnist_live.bench scenes    write generated scenes to look at

`scoring` holds the matching rule, `reference` the reference pipeline re-implemented,
`sets` the image sets (test.jpg, real photos, generated scenes), `readers` the two
pipelines under comparison.
"""
