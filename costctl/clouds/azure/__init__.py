"""Azure: the Cost Management Query API, cost exports from Blob storage, their format and the idle scan.

Importing this package imports nothing else (the azure SDKs load on first use):
``provider.AzureProvider`` is what the registry loads.
"""
