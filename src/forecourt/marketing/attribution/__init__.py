"""Pure multi-touch attribution over conversion paths (numpy, polars and the standard library only)."""
