"""Finance: loan, lease and flat-rate quotes for vehicle purchases."""
