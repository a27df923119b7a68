"""Adapters to AWS: DynamoDB repositories, the transactional outbox, client construction."""
