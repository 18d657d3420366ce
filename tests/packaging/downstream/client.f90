! A downstream Fortran program on the installed module `deepsolve` (deepsolve::fortran): a 16 x 16
! problem with a solid block, CG, the residual checked. Stops with code 1 on failure.
program client
  use, intrinsic :: iso_c_binding, only: c_double, c_int
  use mpi_f08
  use deepsolve
  implicit none
  integer, parameter :: n = 16
  integer(c_int) :: cells(n, n)
  real(c_double) :: b(n, n), x(n, n), residual
  integer :: iterations
  type(deepsolve_poisson) :: solver

  call MPI_Init()
  cells = DEEPSOLVE_FLUID
  cells(6:10, 6:10) = DEEPSOLVE_SOLID
  b = merge(0.0_c_double, 1.0_c_double, cells == DEEPSOLVE_SOLID)
  call check(deepsolve_poisson_create(solver, MPI_COMM_WORLD, 2, [n, n], [1.0_c_double / n, &
             1.0_c_double / n], [DEEPSOLVE_NEUMANN, DEEPSOLVE_NEUMANN, DEEPSOLVE_DIRICHLET, &
             DEEPSOLVE_NEUMANN], [0, 0], [n, n], cells, 'cg', rtol=1.0e-8_c_double))
  call check(deepsolve_poisson_solve(solver, b, x))
  call check(deepsolve_poisson_iterations(solver, iterations))
  call check(deepsolve_poisson_residual(solver, residual))
  write (*, '(a, i0, a, es9.2)') 'deepsolve Fortran module: CG, ', iterations, &
    ' iterations, |b - Ax|/|b| = ', residual
  call check(deepsolve_poisson_destroy(solver))
  call check(deepsolve_finalize())
  call MPI_Finalize()
  if (.not. residual < 1.0e-7_c_double) stop 1

contains

  subroutine check(status)
    integer(c_int), intent(in) :: status
    if (status == DEEPSOLVE_SUCCESS) return
    write (*, '(a)') deepsolve_error_message()
    stop 1
  end subroutine check

end program client
