"""nbgrader settings for every account on the class's hub (``tasks.py hub`` copies this file into
the folder it puts on ``JUPYTER_CONFIG_PATH``, and writes the exchange root beside it in
``hub_settings.json``). Each instructor's copy of the course loads it again after the course's own
``nbgrader_config.py``, whose local ``Exchange.root`` would otherwise win.
"""
import json
import os

from nbgrader.exchange.default.collect import ExchangeCollect

c = get_config()  # noqa: F821  (provided by nbgrader/traitlets)

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "hub_settings.json")) as file:
    HUB = json.load(file)

c.Exchange.root = HUB["exchange_root"]
# Several courses on one hub: a student's copy goes to ~/<course_id>/<lesson>/, and the
# Assignment List shows the courses of the student's hub groups (nbgrader-<course_id>).
c.Exchange.path_includes_course = True
c.Authenticator.plugin_class = "nbgrader.auth.JupyterHubAuthPlugin"


class OwnerCheckedCollect(ExchangeCollect):
    """``nbgrader collect`` that skips a submission filed under another student's name.

    Anyone may write into the exchange's ``inbound`` folder, and ``nbgrader submit --student=X``
    files a submission under any name; stock collect only warns when the file's owner is not the
    student it names (``check_owner``). On a hub where every student is a Linux user, such a
    submission is refused here, and the named student's own latest submission is collected.
    """

    def _path_to_record(self, path):
        import pwd

        record = super()._path_to_record(path)
        try:
            owner = pwd.getpwuid(os.stat(os.path.join(self.inbound_path, record["filename"])).st_uid).pw_name
        except (KeyError, OSError):
            owner = None
        if self.check_owner and owner != record["username"]:
            self.log.error("Not collected: %s names student %s but was submitted by %s",
                           record["filename"], record["username"], owner)
            record["forged"] = True
            record["timestamp"] = record["timestamp"].replace(year=1)  # never the latest
        return record

    def init_src(self):
        super().init_src()
        self.src_records = [record for record in self.src_records if not record.get("forged")]


if HUB.get("check_owner", True):
    c.ExchangeFactory.collect = OwnerCheckedCollect
