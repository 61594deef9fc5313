"""Serverless AS2: the Django project and the tenancy app (Tenant, User, helpers)."""
