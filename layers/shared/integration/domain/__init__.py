"""Domain model: pure Python, no AWS SDK imports."""
