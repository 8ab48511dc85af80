# DRUM hooks of a transform task: fit() learns the medians, transform() applies them.

fit <- function(X, y, output_dir, class_order = NULL, row_weights = NULL, ...) {
  numeric <- names(X)[vapply(X, is.numeric, logical(1))]
  medians <- vapply(X[numeric], function(col) median(col, na.rm = TRUE), numeric(1))
  # A column that is entirely missing has no median: impute 0 rather than NA.
  medians[is.na(medians)] <- 0
  saveRDS(list(medians = medians), file.path(output_dir, "artifact.rds"))
}

load_model <- function(input_dir) {
  readRDS(file.path(input_dir, "artifact.rds"))
}

transform <- function(X, transformer, ...) {
  medians <- transformer$medians
  for (column in names(medians)) {
    if (!column %in% names(X)) next
    missing <- is.na(X[[column]])
    X[[paste0(column, "_was_missing")]] <- as.integer(missing)
    X[[column]][missing] <- medians[[column]]
  }
  X
}
