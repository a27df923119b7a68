"""integration: the shared layer every function imports.

Layers, innermost first:
- ``integration.domain``: entities, value objects, domain events, repository interfaces (no boto3).
- ``integration.application``: use cases, one class per thing a caller can do.
- ``integration.infrastructure``: DynamoDB repositories, the transactional outbox, AWS clients.
- ``integration.api``: what the HTTP handlers share (resolver, problem+json errors, request models).
"""
