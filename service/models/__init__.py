"""Models: the sentence encoder (torch or its verified ONNX export), the optional passage
reranker, and the learned answer model with its committed artifact (``answer-model/``)."""
