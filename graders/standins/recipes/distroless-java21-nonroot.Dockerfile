# Stand-in for gcr.io/distroless/java21-debian13:nonroot: the same image, with upstream's
# default user nonroot (uid 65532) and its home as the working directory.
FROM gcr.io/distroless/java21-debian13
USER 65532
WORKDIR /home/nonroot
