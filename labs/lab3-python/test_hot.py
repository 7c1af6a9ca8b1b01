"""Unit tests for the extension: python3 -m unittest (after make)."""
import unittest

import _hot


class HotTest(unittest.TestCase):
    def test_distance(self):
        self.assertEqual(_hot.distance("kitten", "sitting"), 3)
        self.assertEqual(_hot.distance("", "abc"), 3)
        self.assertEqual(_hot.distance("día", "dia"), 1)

    def test_fingerprint(self):
        self.assertEqual(_hot.fingerprint(""), "cbf29ce484222325")
        self.assertEqual(_hot.fingerprint("a"), "af63dc4c8601ec8c")


if __name__ == "__main__":
    unittest.main()
