"""The order the two workers take the test files in: the longest first.

pytest-xdist's loadfile hands out whole files in collection order (with
`--no-loadscope-reorder`, pyproject.toml; its default orders them by how
many tests they hold, which put the walkthrough's few long tests last, so
one worker ran it alone for minutes while the other had finished). Started
first, the long files run beside the many short ones and the two workers
end together. Only the order changes; a file not named keeps its place.
"""

# The files that take longest on 2 cores (`python -m pytest --durations=40`:
# each one's module fixture), longest first.
LONGEST_FIRST = ("test_your_own_model.py", "test_convert_corpus.py", "test_run_tf1.py",
                 "test_multi_worker.py", "test_migration_guide.py", "test_faults.py")


def pytest_collection_modifyitems(session, config, items):
    def rank(item):
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)
    items.sort(key=rank)  # stable: each file's own tests keep their order
