"""What pyproject.toml cannot say: the project's files that the code reads at run time stay at the
repository's top level and are copied into the package when a wheel is built, where
`crmsync_pipeline.state.db.PROJECT_ROOT` then points (tests/test_packaging.py checks the wheel)."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

# top-level paths (globs) -> crmsync_pipeline/<the same path> inside the wheel
PROJECT_FILES = ("sql/**/*.sql", "crmsync.yaml", "dagster_home/dagster.yaml")


class BuildPyWithProjectFiles(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the repository's own files
            return
        for pattern in PROJECT_FILES:
            for source in sorted(Path().glob(pattern)):
                target = Path(self.build_lib, "crmsync_pipeline", source)
                self.mkpath(str(target.parent))
                self.copy_file(str(source), str(target))


setup(cmdclass={"build_py": BuildPyWithProjectFiles})
