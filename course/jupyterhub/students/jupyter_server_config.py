"""A student's server on the class hub: the Assignments tab and validation only (no formgrader,
no course list, which are the instructor's)."""
c = get_config()  # noqa: F821
c.ServerApp.jpserver_extensions.update({  # update: the environment enables the others
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
})
