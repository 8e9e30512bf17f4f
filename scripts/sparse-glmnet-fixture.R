# Reference elastic-net M-steps from R glmnet for test/surrogate/lasso-glmnet.test.ts (docs/SPARSE.md).
# Run from the project root (R >= 4.2, glmnet >= 4.1, jsonlite; Debian: apt-get install r-cran-glmnet):
#   Rscript scripts/sparse-glmnet-fixture.R            # writes test/fixtures/sparse_glmnet.json
# Dev only: the test reads the committed JSON; CI never runs R.
#
# Data (set.seed(20261128), R's default RNG): n = 150 rows, d = 6 correlated N(0,1) inputs (the model's
# scaled units), design x = (1, x); K = 3 experts with sparse slopes; responsibilities tau (n x K, rows sum
# to 1) drawn from a softmax of noisy logits; y from the mixture. Observation weights w ~ U(0.2, 2).
#
# glmnet(x, y, weights = w, standardize = FALSE, intercept = TRUE) minimizes, with wn = w / sum(w),
#   (1/2) sum_i wn_i (y_i - b0 - x_i'b)^2 + lam * [alpha |b|_1 + (1 - alpha)/(2 sy) |b|^2]
# where sy = sqrt(sum_i wn_i (y_i - ybar_w)^2) (glmnet standardizes y internally; the ridge part does not
# scale back; checked by the KKT conditions below). The ismm beta-block for one expert at fixed sigma2 is
#   (1/2) b'Sxx b - b'sxy + sigma2 l1 |b_-0|_1 + (sigma2 l2 / 2) |b_-0|^2,  Sxx = sum_i (w_i/N) x x' (s0 = sum w_i/N),
# i.e. after dividing by s0: glmnet with lam*alpha = A = sigma2 l1 / s0 and lam*(1 - alpha)/sy = B = sigma2 l2 / s0.
#
# Cases:
#   blocks:  K = 1, weights w, one beta-block at sigma2 = 1 (the ismm M-step with lassoRounds = 1 from beta = 0,
#            log sigma2 = 0); (l1, l2) in {(0.05, 0), (0.02, 0.1), (0.2, 0)}.
#   msteps:  the full expert M-step on the fixed statistic of (x, y, tau): for every expert k the fixed point of
#            sigma2 = rss_k / s0_k (weighted by tau_k / n) and beta = glmnet at that sigma2, iterated to 1e-15;
#            (l1, l2) in {(0.01, 0), (0.03, 0.05), (0.1, 0)}.
suppressPackageStartupMessages({
  library(glmnet)
  library(jsonlite)
})

exact17 <- function(v) {
  if (is.list(v)) return(lapply(v, exact17))
  if (is.double(v)) {
    s <- ifelse(is.finite(v), sprintf("%.17g", v), "null")
    return(structure(if (length(v) == 1) s else paste0("[", paste(s, collapse = ","), "]"), class = "json"))
  }
  v
}

outFile <- if (length(commandArgs(TRUE)) >= 1) commandArgs(TRUE)[1] else "test/fixtures/sparse_glmnet.json"

set.seed(20261128)
n <- 150
d <- 6
K <- 3
M <- matrix(rnorm(d * d, sd = 0.3), d, d)
diag(M) <- 1
X <- matrix(rnorm(n * d), n, d) %*% M
B <- rbind(c(0.5, 1.5, 0, 0, -1, 0, 0), c(-1, 0, 2, 0, 0, 0, 0.7), c(0, 0, 0, -1.2, 0, 0.8, 0))
logits <- cbind(X[, 1] - X[, 2], X[, 3], 0) + matrix(rnorm(n * K, sd = 0.5), n, K)
tau <- exp(logits - apply(logits, 1, max))
tau <- tau / rowSums(tau)
z <- apply(tau, 1, function(p) sample.int(K, 1, prob = p))
y <- sapply(seq_len(n), function(i) sum(B[z[i], ] * c(1, X[i, ]))) + rnorm(n, sd = 0.4)
w <- runif(n, 0.2, 2)

# glmnet's solution of (1/2) sum wn r^2 + A |b|_1 + (B/2) |b|^2 (weights wn = w / sum(w)).
en <- function(w, A, Bq) {
  wn <- w / sum(w)
  ybar <- sum(wn * y)
  sy <- sqrt(sum(wn * (y - ybar)^2))
  lam <- A + Bq * sy
  alpha <- if (lam > 0) A / lam else 1
  fit <- glmnet(X, y, weights = w, family = "gaussian", alpha = alpha, lambda = lam, standardize = FALSE,
                intercept = TRUE, thresh = 1e-22, maxit = 1e8)
  b <- as.vector(coef(fit))
  # KKT of the intended objective, so a misreading of glmnet's scaling cannot pass silently.
  r <- as.vector(y - b[1] - X %*% b[-1])
  g <- -as.vector(crossprod(X, wn * r)) + Bq * b[-1]
  kkt <- ifelse(b[-1] != 0, abs(g + A * sign(b[-1])), pmax(abs(g) - A, 0))
  stopifnot(max(kkt) < 1e-9, abs(sum(wn * r)) < 1e-9)
  b
}

blocks <- lapply(list(c(0.05, 0), c(0.02, 0.1), c(0.2, 0)), function(l) {
  s0 <- 1 # weights w / sum(w): the statistic's weights sum to 1
  list(l1 = l[1], l2 = l[2], beta = en(w, l[1] / s0, l[2] / s0))
})

msteps <- lapply(list(c(0.01, 0), c(0.03, 0.05), c(0.1, 0)), function(l) {
  experts <- lapply(seq_len(K), function(k) {
    wk <- tau[, k] / n
    s0 <- sum(wk)
    sigma2 <- 1
    for (it in 1:500) {
      b <- en(wk, sigma2 * l[1] / s0, sigma2 * l[2] / s0)
      r <- as.vector(y - b[1] - X %*% b[-1])
      nxt <- sum(wk * r^2) / s0
      done <- abs(nxt - sigma2) <= 1e-15 * sigma2
      sigma2 <- nxt
      if (done) break
    }
    stopifnot(done)
    list(beta = b, sigma2 = sigma2)
  })
  list(l1 = l[1], l2 = l[2], experts = experts)
})

out <- list(
  description = "glmnet elastic-net M-steps on a small seeded data set; see scripts/sparse-glmnet-fixture.R",
  software = list(R = R.version.string, glmnet = as.character(packageVersion("glmnet"))),
  n = n, d = d, K = K,
  X = unname(lapply(seq_len(n), function(i) X[i, ])),
  y = y,
  w = w,
  tau = unname(lapply(seq_len(n), function(i) tau[i, ])),
  blocks = blocks,
  msteps = msteps
)
writeLines(toJSON(exact17(out), auto_unbox = TRUE, json_verbatim = TRUE, pretty = TRUE), outFile)
cat("wrote", outFile, "\n")
