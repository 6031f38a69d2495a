"""Runs every test_* function of tests/api/test_*.py (or the modules named on
the command line) and prints one line per test and RESULT <passed> <failed>."""
import importlib.util
import os
import sys
import time
import traceback

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)


def main():
    names = sys.argv[1:] or sorted(f[:-3] for f in os.listdir(here)
                                   if f.startswith("test_") and f.endswith(".py"))
    only = os.environ.get("TB_TEST_ONLY")
    passed = failed = 0
    for name in names:
        spec = importlib.util.spec_from_file_location(name, os.path.join(here, name + ".py"))
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)
        except Exception:
            print("FAIL %s (import)\n%s" % (name, traceback.format_exc()), flush=True)
            failed += 1
            continue
        tests = [(n, getattr(mod, n)) for n in dir(mod) if n.startswith("test_")]
        tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
        for tname, fn in tests:
            if only and only not in "%s.%s" % (name, tname):
                continue
            t0 = time.time()
            try:
                fn()
                passed += 1
                print("ok   %s.%s (%.2fs)" % (name, tname, time.time() - t0), flush=True)
            except Exception:
                failed += 1
                print("FAIL %s.%s (%.2fs)\n%s" % (name, tname, time.time() - t0,
                                                  traceback.format_exc()), flush=True)
    print("RESULT %d %d" % (passed, failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
