"""nbgrader settings of a student's server on the class hub (JUPYTER_CONFIG_PATH points here):
the course and the exchange the Assignments tab fetches from and submits to. The hub passes
both in the environment (see ../jupyterhub_config.py)."""
import os

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = os.environ.get("TL_HUB_COURSE", "tl-course")
c.Exchange.root = os.environ.get("TL_HUB_EXCHANGE", "/srv/nbgrader/exchange")
