"""nbgrader reads this file from the course root; the settings themselves live in course/."""
c = get_config()  # noqa: F821
load_subconfig("course/nbgrader_config.py")  # noqa: F821
