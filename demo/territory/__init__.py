"""A deterministic, seeded generator of an illustrative (示意) territory around 克拉玛依区."""

from demo.territory.core import SIZES, SizeSpec, generate_territory

__all__ = ["SIZES", "SizeSpec", "generate_territory"]
