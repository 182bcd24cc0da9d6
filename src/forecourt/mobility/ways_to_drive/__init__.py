"""Ways to drive one model at one store, side by side: buy with a loan, lease, subscribe, rent."""
