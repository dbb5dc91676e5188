from tests.ui.conftest import data_dir, window  # noqa: F401 - the same real window and data folder
