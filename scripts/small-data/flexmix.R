# Reference for the small-data check (scripts/small-data/check.sh): writes four classic 1-D
# regression-mixture data sets as CSV into the directory given as the first argument and prints
# R flexmix's mean log-likelihood per row (20 restarts, multinomial-logit gate) for K = 2, 3, 4.
# Needs Debian's r-cran-flexmix r-cran-mass r-cran-lattice (never a CI dependency). The data are
# GPL-licensed R package data: they are written at run time, not shipped.
#
#   Rscript scripts/small-data/flexmix.R /tmp/small > /tmp/small/flexmix.txt
suppressMessages({ library(flexmix); library(MASS); library(lattice) })
out <- commandArgs(trailingOnly = TRUE)[1]
dir.create(out, showWarnings = FALSE, recursive = TRUE)
data(NPreg); data(mcycle); data(ethanol)
sets <- list(
  npreg = data.frame(x = NPreg$x, y = NPreg$yn),
  mcycle = data.frame(times = mcycle$times, accel = mcycle$accel),
  ethanol = data.frame(E = ethanol$E, NOx = ethanol$NOx),
  tone = read.csv(Sys.getenv("TONE_CSV", "../shared/data/tone_perception.csv"))  # run from the project root
)
for (nm in names(sets)) {
  d <- sets[[nm]]
  write.csv(d, file.path(out, paste0(nm, ".csv")), row.names = FALSE)
  xv <- names(d)[1]; yv <- names(d)[2]
  for (K in 2:4) {
    set.seed(1)
    m <- stepFlexmix(formula(paste(yv, "~", xv)), data = d, k = K, nrep = 20, model = FLXMRglm(),
                     concomitant = FLXPmultinom(formula(paste("~", xv))), verbose = FALSE, control = list(minprior = 0))
    cat(nm, yv, K, nrow(d), format(as.numeric(logLik(m)) / nrow(d), digits = 10), "\n")
  }
}
