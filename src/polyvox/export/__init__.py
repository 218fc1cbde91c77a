"""ONNX export: ``export_onnx`` (needs torch) writes the graphs and ``voice.onnx.json``; ``metadata`` reads it without torch.

Import ``polyvox.export.onnx_export`` for the exporter; this package imports nothing heavy.
"""
