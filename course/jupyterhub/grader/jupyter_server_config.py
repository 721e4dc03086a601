"""The formgrader service on the class hub. JupyterHub >= 4.1 sends
``Content-Security-Policy: frame-ancestors 'none'`` from single-user servers, and the formgrader
shows its pages in a frame of its own: without this the formgrader is blank (nbgrader #1870)."""
c = get_config()  # noqa: F821
c.ServerApp.tornado_settings = {
    "headers": {"Content-Security-Policy": "frame-ancestors 'self'"},
}
