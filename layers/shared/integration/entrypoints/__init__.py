"""Everything that receives an event: HTTP requests, SQS delivery batches, DynamoDB stream
records, bus events and operator commands. Outbound adapters live in :mod:`integration.infrastructure`."""
