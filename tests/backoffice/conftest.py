from tests.ui.conftest import data_dir, demo_folder, window  # noqa: F401 - the same real window and data folder
