/* mpi_allreduce.c — the time of one MPI_Allreduce (sum, in place) of N floats,
 * the reduction a data-parallel step does over its gradient buffer: best of 5
 * rounds of 200 calls, after 50 to warm up. Used by bench/mpi_scaling.sh.
 *   mpicc -O2 mpi_allreduce.c -o mpi_allreduce && mpirun -np 2 ./mpi_allreduce N */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const int count = argc > 1 ? atoi(argv[1]) : 0;
  float *values = calloc(count > 0 ? (size_t)count : 1, sizeof(float));
  for (int i = 0; i < 50; ++i)
    MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  double best = 1e30;
  for (int round = 0; round < 5; ++round) {
    MPI_Barrier(MPI_COMM_WORLD);
    double start = MPI_Wtime();
    for (int i = 0; i < 200; ++i)
      MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    double seconds = (MPI_Wtime() - start) / 200;
    if (seconds < best)
      best = seconds;
  }
  if (rank == 0)
    printf("%.3f\n", best * 1e3);
  free(values);
  MPI_Finalize();
  return 0;
}
