"""The published JSON Schemas, shipped inside the installed package as `ctask_sync.schemas`
(setup.py maps this folder there); read them with importlib.resources, never by path."""
