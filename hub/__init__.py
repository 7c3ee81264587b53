"""JupyterHub setup for a class: see hub/jupyterhub_config.py and `python3 tasks.py hub`."""
