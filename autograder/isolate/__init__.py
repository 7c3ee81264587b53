"""How a student's kernel is started and contained: the sandbox (a process: ``python -m
autograder.isolate.sandbox``), the kernel zygote (a process), the warm kernels nbclient uses.
"""
