"""`make bench`: latency, throughput, memory and start-up of the running stack, beside
Rasa's own REST webhook (docs: reports/bench.md)."""
