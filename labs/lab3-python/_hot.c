/*
 * _hot: the two functions of textmatch that are too slow in pure Python, as a C
 * extension module. Building it needs gcc and Python's headers; running it needs
 * neither: only the compiled _hot*.so file and the Python runtime.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>

#ifndef STAMP
#define STAMP "unstamped"
#endif

/* Levenshtein distance between two sequences of code points, in O(len(b)) memory. */
static PyObject *distance(PyObject *self, PyObject *args) {
    PyObject *a_obj, *b_obj;
    if (!PyArg_ParseTuple(args, "UU", &a_obj, &b_obj)) return NULL;
    Py_ssize_t n = PyUnicode_GetLength(a_obj), m = PyUnicode_GetLength(b_obj);
    Py_UCS4 *a = PyUnicode_AsUCS4Copy(a_obj);
    Py_UCS4 *b = PyUnicode_AsUCS4Copy(b_obj);
    Py_ssize_t *row = PyMem_Malloc((size_t)(m + 1) * sizeof(Py_ssize_t));
    if (!a || !b || !row) {
        PyMem_Free(a); PyMem_Free(b); PyMem_Free(row);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t j = 0; j <= m; j++) row[j] = j;
    for (Py_ssize_t i = 1; i <= n; i++) {
        Py_ssize_t diagonal = row[0];
        row[0] = i;
        for (Py_ssize_t j = 1; j <= m; j++) {
            Py_ssize_t above = row[j];
            Py_ssize_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            Py_ssize_t best = diagonal + cost;
            if (above + 1 < best) best = above + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    Py_ssize_t result = row[m];
    PyMem_Free(a); PyMem_Free(b); PyMem_Free(row);
    return PyLong_FromSsize_t(result);
}

/* 64-bit FNV-1a hash of a string's UTF-8 bytes, as 16 hex digits. */
static PyObject *fingerprint(PyObject *self, PyObject *args) {
    const char *text;
    Py_ssize_t length;
    if (!PyArg_ParseTuple(args, "s#", &text, &length)) return NULL;
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (Py_ssize_t i = 0; i < length; i++) {
        hash ^= (unsigned char)text[i];
        hash *= 0x100000001b3ULL;
    }
    return PyUnicode_FromFormat("%016llx", (unsigned long long)hash);
}

/* The value of stamp.txt when this module was compiled (see the Makefile). */
static PyObject *stamp(PyObject *self, PyObject *unused) {
    return PyUnicode_FromString(STAMP);
}

/*
 * The stamp function. Before every build the grader replaces the lines between the two
 * markers with a new function (new steps, new constants) and asks /stamp?x=N for its value:
 * only a module compiled from these sources, in the build, answers it right.
 */
// >>> stamp function
static uint32_t stamp_of(uint32_t x) {
    return x;
}
// <<< stamp function

static PyObject *stamp_function(PyObject *self, PyObject *args) {
    unsigned long x;
    if (!PyArg_ParseTuple(args, "k", &x)) return NULL;
    return PyLong_FromUnsignedLong(stamp_of((uint32_t)x));
}

static PyMethodDef methods[] = {
    {"distance", distance, METH_VARARGS, "Levenshtein distance between two strings."},
    {"fingerprint", fingerprint, METH_VARARGS, "64-bit FNV-1a hash of a string's UTF-8 bytes, in hex."},
    {"stamp", stamp, METH_NOARGS, "The build stamp compiled into this module."},
    {"stamp_of", stamp_function, METH_VARARGS, "The stamp function's value for an unsigned 32-bit x."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_hot", "textmatch's hot loops in C.", -1, methods};

PyMODINIT_FUNC PyInit__hot(void) { return PyModule_Create(&module); }
