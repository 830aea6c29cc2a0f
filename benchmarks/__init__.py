"""`salesflow bench` scenarios. Figures go to benchmarks/results/; nothing here is a test."""
