"""研判: the analysis room — hotspot statistics, emerging trends, repeats and the risk watch list."""
