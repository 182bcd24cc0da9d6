"""Rate programs and residual tables: the catalogue of finance offers, their files, checks and bulk import/export."""
