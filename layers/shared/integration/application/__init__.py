"""Use cases: one class per thing a caller can do. They take repositories, never boto3."""
