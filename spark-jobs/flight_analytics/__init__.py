"""Flight events from Kafka, parsed and analysed with PySpark Structured Streaming."""
