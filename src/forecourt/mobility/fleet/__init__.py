"""Fleet pools and model classes: which cars serve which use, and the plans priced per class."""
