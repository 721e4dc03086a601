"""nbgrader settings of the formgrader service on the class hub (JUPYTER_CONFIG_PATH points
here): the course directory it grades in and the exchange, both passed by the hub."""
import os

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = os.environ.get("TL_HUB_COURSE", "tl-course")
c.CourseDirectory.root = os.environ.get("TL_HUB_COURSE_ROOT", os.getcwd())
c.Exchange.root = os.environ.get("TL_HUB_EXCHANGE", "/srv/nbgrader/exchange")
