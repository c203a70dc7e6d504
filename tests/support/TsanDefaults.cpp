// ThreadSanitizer defaults, compiled into every test (chronus_add_qtest); empty in every other build.
#if defined(__SANITIZE_THREAD__)

// Debian's Qt 6.4 is not built with ThreadSanitizer: QMutex and QThread::wait synchronise through
// futexes it cannot see, so QtTest tearing down its watchdog (destroying the watchdog's condition
// variable, freeing its memory in QTest::qRun) after the watchdog thread has been joined is
// reported as a race with that thread's last wait. Nothing of ours is involved; Qt frames appear
// in these stacks only where Qt calls straight into an intercepted or instrumented function.
extern "C" const char* __tsan_default_suppressions() {
    return "race:QWaitCondition::~QWaitCondition\n"
           "race:QTest::qRun\n";
}

#endif
