"""`make bench`: how fast the product is, at what quality, next to a Haystack peer.

A benchmark, not a test: it measures and reports, it never fails on a slow figure.
Everything it generates (corpus, data directories, FAISS files, results) goes to
bench/out/, which git ignores.
"""
